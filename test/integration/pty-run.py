"""Runs a command on a pseudo-terminal of a given size and reports, as one JSON line on stdout,
its exit code, its output and whether the run had to be killed.

Usage: pty-run.py <cols> <rows> <deadline-seconds> <interrupt-after-text or ""> -- <command...>

A pseudo-terminal without a size (0 x 0) is what `script`, `docker run -t` from a non-terminal and
some CI runners give a program; this is how the tests put the CLI on one. When the output contains
<interrupt-after-text>, a Ctrl-C (0x03) is typed into the terminal, as a person would.
"""

import fcntl
import json
import os
import pty
import select
import signal
import struct
import sys
import termios
import time


def main() -> None:
    cols, rows, deadline_s, interrupt_after = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    command = sys.argv[sys.argv.index("--") + 1 :]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    output = bytearray()
    deadline = time.monotonic() + deadline_s
    killed = False
    interrupted = False
    status = None
    while True:
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            killed = True
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            output.extend(chunk)
            # Bounded: a runaway redraw loop must not fill the memory of the test run.
            del output[: max(0, len(output) - 4_000_000)]
            if interrupt_after and not interrupted and interrupt_after.encode() in output:
                os.write(fd, b"\x03")
                interrupted = True
        done, waited = os.waitpid(pid, os.WNOHANG)
        if done != 0:
            status = waited
            # Whatever is left in the terminal.
            try:
                while select.select([fd], [], [], 0.2)[0]:
                    more = os.read(fd, 65536)
                    if not more:
                        break
                    output.extend(more)
            except OSError:
                pass
            break
    code = os.waitstatus_to_exitcode(status) if status is not None else None
    print(json.dumps({"code": code, "killed": killed, "interrupted": interrupted, "output": output.decode("utf-8", "replace")}))


main()
