// One Lambda "execution environment": a child process that loads a function's real code once and runs
// invocations sent by the parent over IPC, like a warm Lambda container. Killing the process is a crash.
'use strict';

const path = require('node:path');

const codeDir = process.argv[2];
const handlerSpec = process.argv[3] || 'index.handler';
const [file, exportName] = handlerSpec.split('.');
const handler = require(path.join(codeDir, file))[exportName];

process.on('message', async (message) => {
  if (message.type !== 'invoke') return;
  const deadline = Date.now() + message.timeoutMs;
  const context = {
    awsRequestId: message.invocationId,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    await handler(message.event, context);
    process.send({ type: 'done', invocationId: message.invocationId });
  } catch (error) {
    process.send({ type: 'done', invocationId: message.invocationId, error: String(error && error.message) });
  }
});

process.send({ type: 'ready', nodeVersion: process.version });
