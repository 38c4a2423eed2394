// Worker mode: the component runs in a worker thread so that a call can be stopped at its
// deadline (a spinning guest cannot be interrupted on the thread that runs it). The API
// stays synchronous: the calling thread posts the call and blocks in `Atomics.wait`; each
// backend import comes back to it as a message (read with `receiveMessageOnPort`), runs the
// adapter on the calling thread and is answered the same way. At the deadline (which counts
// the component's time, not the adapter's) the worker is terminated and a fresh one starts
// loading for the next call.
import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { SIGNATURES } from './boundary.js';
import { BackendCallsExceeded, SandboxFailure, fill, storeError } from './errors.js';
import { trapFailure } from './sandbox.js';
import { SANDBOX_DEADLINE, SANDBOX_INSTANTIATION } from './vocabulary.js';

/** @typedef {import('./model.js').Operation} Operation */
/** @typedef {import('./sandbox.js').Sandbox} Sandbox */

const WORKER_URL = new URL('./worker.js', import.meta.url);

/**
 * One worker thread and its channels.
 * @typedef {object} Thread
 * @property {Worker} worker
 * @property {Int32Array} signals see worker.js
 * @property {import('node:worker_threads').MessagePort} calls
 * @property {import('node:worker_threads').MessagePort} replies
 * @property {import('node:worker_threads').MessagePort} results
 * @property {boolean} ready whether it has loaded the component
 */

/** @implements {Sandbox} */
export class WorkerSandbox {
  /** @type {Thread | undefined} */
  #thread;
  #component;
  #modules;
  #memoryLimit;
  #bridge;
  #deadlineMs;
  #startupTimeoutMs;

  /**
   * @param {import('./component.js').RuntimeComponent} component
   * @param {number} pages the memory bound in pages
   * @param {number} memoryLimit the memory bound as configured, in bytes (for messages)
   * @param {import('./store.js').BackendBridge} bridge the adapter's imports (run on this thread)
   * @param {number} deadlineMs
   * @param {number} startupTimeoutMs
   */
  constructor(component, pages, memoryLimit, bridge, deadlineMs, startupTimeoutMs) {
    this.#component = component;
    this.#modules = component.modules(pages);
    this.#memoryLimit = memoryLimit;
    this.#bridge = bridge;
    this.#deadlineMs = deadlineMs;
    this.#startupTimeoutMs = startupTimeoutMs;
    this.#thread = this.#spawn();
  }

  /** @returns {Thread} */
  #spawn() {
    const signals = new Int32Array(new SharedArrayBuffer(8));
    const calls = new MessageChannel();
    const replies = new MessageChannel();
    const results = new MessageChannel();
    const worker = new Worker(WORKER_URL, {
      workerData: {
        moduleUrl: this.#component.moduleUrl,
        modules: this.#modules,
        signals,
        calls: calls.port2,
        replies: replies.port2,
        results: results.port2,
      },
      transferList: [calls.port2, replies.port2, results.port2],
    });
    worker.unref();
    // An error the worker cannot report itself (it crashed): the call waiting on it ends at
    // its deadline. Listening keeps the error from being re-thrown on this thread.
    worker.on('error', () => {});
    results.port1.unref();
    return { worker, signals, calls: calls.port1, replies: replies.port1, results: results.port1, ready: false };
  }

  /** Ends the current worker thread, if any. */
  close() {
    const thread = this.#thread;
    this.#thread = undefined;
    if (thread !== undefined) {
      thread.worker.terminate().catch(() => {});
      thread.calls.close();
      thread.replies.close();
      thread.results.close();
    }
  }

  /**
   * @param {(reason: string) => Error} [failure] the error for a worker that cannot load
   *   the component (default: `RuntimeStore.open: <reason>`)
   */
  async ready(failure = (reason) => new Error(`RuntimeStore.open: ${reason}`)) {
    const thread = (this.#thread ??= this.#spawn());
    const until = performance.now() + this.#startupTimeoutMs;
    // Waiting asynchronously for a thread keeps nothing alive: hold the process open meanwhile.
    thread.worker.ref();
    try {
      while (!thread.ready) {
        const seen = Atomics.load(thread.signals, 0);
        const received = receiveMessageOnPort(thread.results);
        if (received !== undefined) {
          this.#started(thread, received.message, failure);
          continue;
        }
        const remaining = until - performance.now();
        if (remaining <= 0) {
          this.close();
          throw failure(this.#startupTimedOut());
        }
        await Atomics.waitAsync(thread.signals, 0, seen, remaining).value;
      }
    } finally {
      thread.worker.unref();
    }
  }

  /**
   * @param {Operation} operation
   * @param {string | undefined} gameId
   * @param {unknown[]} args
   * @param {Operation} [reported] the operation failures name
   */
  call(operation, gameId, args, reported = operation) {
    /** @param {string} reason */
    const instantiationFailure = (reason) =>
      new SandboxFailure(reported, gameId, fill(SANDBOX_INSTANTIATION, { reason }), this.#component.rulesIdentity);
    const thread = (this.#thread ??= this.#spawn());
    if (!thread.ready) {
      const until = performance.now() + this.#startupTimeoutMs;
      while (!thread.ready) {
        const message = this.#next(thread, until);
        if (message === undefined) {
          this.close();
          throw instantiationFailure(this.#startupTimedOut());
        }
        this.#started(thread, message, instantiationFailure);
      }
    }
    const { iface, method } = SIGNATURES[operation];
    this.#bridge.begin(operation);
    // The deadline bounds the component's time: time spent in the adapter does not count.
    let until = performance.now() + this.#deadlineMs;
    thread.calls.postMessage({ iface, method, args });
    try {
      for (;;) {
        const message = this.#next(thread, until);
        if (message === undefined) {
          this.close();
          this.#thread = this.#spawn();
          throw new SandboxFailure(
            reported,
            gameId,
            fill(SANDBOX_DEADLINE, { milliseconds: this.#deadlineMs }),
            this.#component.rulesIdentity,
          );
        }
        switch (message.kind) {
          case 'import': {
            const served = performance.now();
            this.#serve(thread, message.name, message.args);
            until += performance.now() - served;
            break;
          }
          case 'return':
            return message.value;
          case 'error':
            throw storeError(reported, gameId, message.payload, this.#bridge.lastError());
          case 'trap':
            throw trapFailure(
              reported,
              gameId,
              this.#bridge.exceeded(),
              this.#memoryLimit,
              message.reason,
              this.#component.rulesIdentity,
            );
          case 'instantiation-failed':
            throw instantiationFailure(message.reason);
          default:
            throw new Error(`unexpected message from the worker thread: ${JSON.stringify(message.kind)}`);
        }
      }
    } finally {
      this.#bridge.forget();
    }
  }

  /**
   * Handles a start-up message.
   * @param {Thread} thread
   * @param {{kind: string, reason?: string}} message
   * @param {(reason: string) => Error} failure
   */
  #started(thread, message, failure) {
    if (message.kind === 'ready') {
      thread.ready = true;
      return;
    }
    this.close();
    throw failure(message.kind === 'start-failed' ? `${message.reason}` : `unexpected message ${JSON.stringify(message.kind)}`);
  }

  #startupTimedOut() {
    return `the worker thread did not load the component within ${this.#startupTimeoutMs} ms`;
  }

  /**
   * The next message from the worker, or undefined once `until` (a `performance.now()` time) passed.
   * @param {Thread} thread
   * @param {number} until
   */
  #next(thread, until) {
    for (;;) {
      const seen = Atomics.load(thread.signals, 0);
      const received = receiveMessageOnPort(thread.results);
      if (received !== undefined) return received.message;
      const remaining = until - performance.now();
      if (remaining <= 0) return undefined;
      Atomics.wait(thread.signals, 0, seen, remaining);
    }
  }

  /**
   * Runs a backend import on this thread and answers the worker.
   * @param {Thread} thread
   * @param {string} name
   * @param {unknown[]} args
   */
  #serve(thread, name, args) {
    let answer;
    try {
      answer = { value: this.#bridge.imports[name](...args) };
    } catch (error) {
      // Over the backend-call cap: the worker's import throws, which traps the guest.
      if (error instanceof BackendCallsExceeded) answer = { refused: error.message };
      else answer = { payload: /** @type {{payload: unknown}} */ (error).payload };
    }
    thread.replies.postMessage(answer);
    Atomics.add(thread.signals, 1, 1);
    Atomics.notify(thread.signals, 1);
  }
}
