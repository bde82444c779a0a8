export { createIdentityService } from './service.ts';
export { identify, identityStage } from './stage.ts';
