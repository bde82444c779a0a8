export {
  up,
  down,
  status,
  provisionTopics,
  endpoints,
  type LocalStackEndpoints,
  type UpResult,
  type StackStatus,
} from './stack.ts';
export { readSettings, REPO_ROOT, type LocalStackSettings } from './settings.ts';
