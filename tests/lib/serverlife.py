"""How the test servers under tests/lib live and die: they announce their
ports through a file the harness waits for, and they exit by themselves
once the shell that started them (the test file) is gone."""

import os
import threading
import time


def _watch_owner(pid, period):
	while True:
		try:
			os.kill(pid, 0)
		except ProcessLookupError:
			os._exit(0)
		except PermissionError:
			pass
		time.sleep(period)


def watch_owner(pid, period=0.5):
	"""Exit this process once PID is gone (0 or None: no owner)."""
	if pid:
		threading.Thread(target=_watch_owner, args=(pid, period),
				 daemon=True).start()


def publish_ports(port_file, ports):
	"""Write the ports, space-separated, to port_file atomically."""
	tmp = port_file + ".tmp"
	with open(tmp, "w", encoding="ascii") as f:
		f.write(" ".join(str(p) for p in ports) + "\n")
	os.rename(tmp, port_file)
