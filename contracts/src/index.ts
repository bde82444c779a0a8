export * from './topic.ts';
export * from './topics.ts';
