export * from './topic.ts';
export * from './topics.ts';
export * from './identifiers.ts';
export * from './domestic-abuse.ts';
export * from './identity.ts';
export * from './callers.ts';
export * from './audit.ts';
export * from './ids.ts';
