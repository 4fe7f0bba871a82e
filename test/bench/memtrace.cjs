/*
 * Preloaded into an `sf` process by test/bench/memory.ts (NODE_OPTIONS=--require): every 200 ms it
 * appends one line of process.memoryUsage() and V8 heap-space sizes to $MEMTRACE_OUT, so a memory
 * peak can be tied to the heap space (young, old, large objects) or the buffers that make it.
 * Only the main thread writes (sf also runs a logger thread, whose heap is not the one we tune).
 */
const fs = require('node:fs');
const v8 = require('node:v8');
const { isMainThread } = require('node:worker_threads');

const out = process.env.MEMTRACE_OUT;
if (out && isMainThread) {
  const started = Date.now();
  const fd = fs.openSync(out, 'a');
  const mb = (n) => (n / 1048576).toFixed(0);
  const sample = () => {
    const m = process.memoryUsage();
    const spaces = v8
      .getHeapSpaceStatistics()
      .filter((s) => s.space_size > 0)
      .map((s) => `${s.space_name.replace('_space', '')}=${mb(s.space_used_size)}/${mb(s.space_size)}`)
      .join(' ');
    fs.writeSync(fd, `${Date.now() - started}ms rss=${mb(m.rss)} heap=${mb(m.heapUsed)}/${mb(m.heapTotal)} external=${mb(m.external)} arrayBuffers=${mb(m.arrayBuffers)} ${spaces}\n`);
  };
  setInterval(sample, 200).unref();
  process.on('exit', sample);
}
