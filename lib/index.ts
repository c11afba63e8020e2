export * from './bucket-access-key';
export * from './bucket-access-key-props';
export * from './rotation';
