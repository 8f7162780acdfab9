export * from './bar.ts';
export * from './dead-letter.ts';
export * from './feature-vector.ts';
export * from './late-event.ts';
export * from './option-chain-snapshot.ts';
export * from './signal.ts';
export * from './topics.ts';
export * from './trade.ts';
