"""Free loopback ports for voiceready's test scripts."""
import random
import socket


def pick_port(kind=socket.SOCK_STREAM):
    """A free port below the kernel's ephemeral range (32768+): tests that open thousands of
    client connections take ephemeral ports, and a "free" port from there can be gone by the
    time the server binds it."""
    for _ in range(200):
        port = random.randint(20000, 32000)
        try:
            with socket.socket(socket.AF_INET, kind) as s:
                s.bind(("0.0.0.0", port))
            return port
        except OSError:
            continue
    raise RuntimeError("no free port in 20000-32000")
