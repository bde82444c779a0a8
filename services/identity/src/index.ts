export { identify, startIdentityStage } from './stage.ts';
