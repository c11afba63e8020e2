export * from './bucket-access-key';
