"""How a worker is confined: the isolation levels (``isolation``, ``bwrap``, ``user``, ``unconfined``,
``choose``), the GPU it may see (``gpu``), its limits (``limits``) and how they are enforced (``cgroup``,
``watchdog``, ``mounts``, ``scratch``), and starting and stopping its process (``process``)."""
