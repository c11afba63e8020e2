export * from './bucket-access-key';
export * from './rotation';
