/**
 * Keeps a long-running command going when its output goes away. Under `npm start 2>&1 | tee log`, a Ctrl-C ends
 * `tee` too, and the next write to the closed pipe fails with EPIPE; Node reports that as an 'error' event on the
 * stream, and with nobody listening the process dies mid-shutdown, leaving behind what it should have stopped.
 * With a listener the failed write is dropped, and so is every later one: the shutdown goes on, unseen.
 * The listeners stay for the life of the process, since the last line written can fail after the command returned.
 */
export function surviveClosedOutput(streams: NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    if (!stream.listeners('error').includes(ignoreWriteError)) stream.on('error', ignoreWriteError);
  }
}

function ignoreWriteError(): void {}
