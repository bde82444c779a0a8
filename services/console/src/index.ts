export { createConsoleService } from './service.ts';
