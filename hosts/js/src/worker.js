// The worker thread of a store in worker mode (see worker-sandbox.js): runs the component;
// each backend import is a synchronous request to the calling thread, which runs the
// adapter. Nothing here is public.
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import { instantiate } from './component.js';
import { carriesPayload, trapReason } from './sandbox.js';

/**
 * @typedef {object} WorkerData
 * @property {string} moduleUrl the transpiled component's JavaScript
 * @property {Map<string, WebAssembly.Module>} modules its core modules, memory bounded
 * @property {Int32Array} signals [0]: bumped after each message to the caller; [1]: bumped by the caller after each reply
 * @property {import('node:worker_threads').MessagePort} calls calls from the caller
 * @property {import('node:worker_threads').MessagePort} replies answers of backend imports
 * @property {import('node:worker_threads').MessagePort} results everything sent to the caller
 */

const { moduleUrl, modules, signals, calls, replies, results } = /** @type {WorkerData} */ (workerData);

/** @param {unknown} message */
function send(message) {
  results.postMessage(message);
  Atomics.add(signals, 0, 1);
  Atomics.notify(signals, 0);
}

/**
 * A backend import: asks the caller, waits for its answer.
 * @param {string} name
 */
function forward(name) {
  return (/** @type {unknown[]} */ ...args) => {
    let seen = Atomics.load(signals, 1);
    send({ kind: 'import', name, args });
    for (;;) {
      const received = receiveMessageOnPort(replies);
      if (received !== undefined) {
        const answer = received.message;
        if (Object.hasOwn(answer, 'refused')) throw new Error(answer.refused);
        if (Object.hasOwn(answer, 'payload')) throw { payload: answer.payload };
        return answer.value;
      }
      Atomics.wait(signals, 1, seen);
      seen = Atomics.load(signals, 1);
    }
  };
}

const imports = Object.fromEntries(['fetch', 'insert', 'patch', 'remove', 'scan'].map((name) => [name, forward(name)]));

/** @type {Function} */
let instantiateComponent;
/** @type {{store: Record<string, Function>, rules: Record<string, Function>} | undefined} */
let exports;

try {
  ({ instantiate: instantiateComponent } = await import(moduleUrl));
  exports = instantiate(instantiateComponent, modules, imports);
  send({ kind: 'ready' });
} catch (error) {
  send({ kind: 'start-failed', reason: trapReason(error) });
}

calls.on('message', (/** @type {{iface: 'store' | 'rules', method: string, args: unknown[]}} */ { iface, method, args }) => {
  if (exports === undefined) {
    try {
      exports = instantiate(instantiateComponent, modules, imports);
    } catch (error) {
      send({ kind: 'instantiation-failed', reason: trapReason(error) });
      return;
    }
  }
  let value;
  try {
    value = exports[iface][method](...args);
  } catch (error) {
    if (carriesPayload(error)) {
      send({ kind: 'error', payload: error.payload });
    } else {
      exports = undefined;
      send({ kind: 'trap', reason: trapReason(error) });
    }
    return;
  }
  send({ kind: 'return', value });
});
