/**
 * Preloaded into the service child by bench/run.ts (with --expose-gc): SIGUSR2 runs a full
 * garbage collection, so that memory is read as what is kept, not as garbage load left behind.
 */
if (typeof globalThis.gc === 'function') {
  const v8 = require('node:v8');
  process.on('SIGUSR2', () => {
    globalThis.gc();
    const m = process.memoryUsage();
    const mb = (n) => (n / 1048576).toFixed(1);
    const spaces = v8
      .getHeapSpaceStatistics()
      .map((s) => `${s.space_name.replace('_space', '')} ${mb(s.space_size)}/${mb(s.space_used_size)}`)
      .join(', ');
    process.stderr.write(
      `[gc-hook] rss ${mb(m.rss)} heapTotal ${mb(m.heapTotal)} heapUsed ${mb(m.heapUsed)} external ${mb(m.external)} arrayBuffers ${mb(m.arrayBuffers)} | ${spaces}\n`,
    );
  });
}
