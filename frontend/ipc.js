// TensorBoard's plugin IPC, spoken directly (its plugin_lib is not on npm).
// The guest posts "experimental.bootstrap" with a MessagePort to the parent
// page, then both sides exchange JSON strings:
//   {type, id, payload, error, isReply}
// Every host broadcast must be answered, or the host's promise never settles.

let nextId = 0;

export class HostChannel {
  constructor(win = window) {
    this._listeners = new Map();
    this._pending = new Map();
    this._port = null;
    if (!win.parent || win.parent === win) return; // opened outside TensorBoard
    const channel = new MessageChannel();
    this._port = channel.port1;
    this._port.onmessage = (event) => this._onMessage(event.data);
    win.parent.postMessage("experimental.bootstrap", "*", [channel.port2]);
  }

  /** Registers a handler for a host broadcast such as "experimental.DataReloaded". */
  on(type, handler) {
    const handlers = this._listeners.get(type) || [];
    handlers.push(handler);
    this._listeners.set(type, handlers);
  }

  /** Sends a request to the host; resolves with its payload (null outside TensorBoard). */
  request(type, payload = null) {
    if (!this._port) return Promise.resolve(null);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      this._pending.set(id, { resolve, reject });
      this._port.postMessage(JSON.stringify({ type, id, payload, error: null, isReply: false }));
    });
  }

  _onMessage(raw) {
    let message;
    try {
      message = JSON.parse(raw);
    } catch {
      return;
    }
    if (message.isReply) {
      const pending = this._pending.get(message.id);
      if (!pending) return;
      this._pending.delete(message.id);
      if (message.error) pending.reject(new Error(String(message.error)));
      else pending.resolve(message.payload);
      return;
    }
    let error = null;
    for (const handler of this._listeners.get(message.type) || []) {
      try {
        handler(message.payload);
      } catch (e) {
        error = String(e);
      }
    }
    this._port.postMessage(
      JSON.stringify({ type: message.type, id: message.id, payload: null, error, isReply: true }),
    );
  }
}
