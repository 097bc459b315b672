// Test doubles for the dashboard's injectable seams: timers, WebSocket, a sliver of the DOM.

/** Manual clock with setTimeout/setInterval; `advance(ms)` runs due callbacks in time order. */
export class FakeClock {
  constructor(start = 0) {
    this.time = start;
    this.tasks = new Map();
    this.nextId = 1;
  }

  now = () => this.time;

  setTimeout = (fn, ms = 0) => this.#add(fn, ms, null);

  setInterval = (fn, ms) => this.#add(fn, ms, ms);

  clearTimeout = (id) => {
    this.tasks.delete(id);
  };

  clearInterval = (id) => {
    this.tasks.delete(id);
  };

  #add(fn, ms, interval) {
    const id = this.nextId++;
    this.tasks.set(id, { at: this.time + Math.max(0, ms), fn, interval });
    return id;
  }

  advance(ms) {
    const target = this.time + ms;
    for (;;) {
      let due = null;
      for (const [id, task] of this.tasks) {
        if (task.at <= target && (due === null || task.at < due[1].at)) due = [id, task];
      }
      if (!due) break;
      const [id, task] = due;
      this.time = task.at;
      if (task.interval === null) this.tasks.delete(id);
      else task.at += task.interval;
      task.fn();
    }
    this.time = target;
  }

  get timers() {
    return {
      setTimeout: this.setTimeout,
      clearTimeout: this.clearTimeout,
      setInterval: this.setInterval,
      clearInterval: this.clearInterval,
    };
  }

  pendingTimeouts() {
    return [...this.tasks.values()].filter((task) => task.interval === null).length;
  }
}

/** A WebSocket stand-in the test drives: `open()`, `receive(msg)`, `drop()`. */
export class FakeSocket {
  static created = [];

  constructor(url) {
    this.url = url;
    this.sent = [];
    this.closed = false;
    FakeSocket.created.push(this);
  }

  static reset() {
    FakeSocket.created = [];
  }

  static get last() {
    return FakeSocket.created[FakeSocket.created.length - 1];
  }

  open() {
    this.onopen?.({});
  }

  receive(message) {
    this.onmessage?.({ data: typeof message === 'string' ? message : JSON.stringify(message) });
  }

  drop() {
    this.onclose?.({ code: 1006 });
  }

  send(data) {
    this.sent.push(JSON.parse(data));
  }

  close() {
    this.closed = true;
  }
}

/** Resolve pending promise callbacks (the fallback poll is async). */
export const flush = () => new Promise((resolve) => setImmediate(resolve));

class FakeClassList {
  constructor() {
    this.set = new Set();
  }

  add(...names) {
    for (const name of names) this.set.add(name);
  }

  remove(...names) {
    for (const name of names) this.set.delete(name);
  }

  toggle(name, force) {
    const on = force ?? !this.set.has(name);
    if (on) this.set.add(name);
    else this.set.delete(name);
    return on;
  }

  contains(name) {
    return this.set.has(name);
  }
}

/** Just enough of an Element for ui-core's Metric: roles, dataset, classList, textContent. */
export class FakeElement {
  constructor(children = {}) {
    this.children = children;
    this.dataset = {};
    this.classList = new FakeClassList();
    this.textContent = '';
  }

  querySelector(selector) {
    const role = /^\[data-role=(\w+)\]$/.exec(selector)?.[1];
    return role ? this.children[role] ?? null : null;
  }
}

export function fakeMetricElement() {
  return new FakeElement({ value: new FakeElement(), trend: new FakeElement(), sub: new FakeElement() });
}
