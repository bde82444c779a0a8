export {
  ERROR_CATALOGUE,
  ERROR_CODES,
  PROBLEM_TYPE_BASE,
  isErrorCode,
  isHttpErrorCode,
  problemTypeUri,
  type ErrorCatalogue,
  type ErrorCode,
  type HttpErrorCode,
  type MessageErrorCode,
} from './catalogue.ts';
export { HubError, type FieldError, type HubErrorOptions } from './hub-error.ts';
export { DEPENDENCIES, DependencyUnavailableError, type Dependency } from './dependency.ts';
