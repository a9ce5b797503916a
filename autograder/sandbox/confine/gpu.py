"""Which NVIDIA device files a sandboxed worker gets: those of the one card it is pinned to, nothing more.

``CUDA_VISIBLE_DEVICES`` alone does not keep student code off the other cards (it can change the variable before
CUDA starts, or in a subprocess), so the sandbox holds only the device file of the pinned card, ``/dev/nvidia<N>``,
and the driver's shared ones (``nvidiactl``, ``nvidia-uvm``, ``nvidia-uvm-tools``, ``nvidia-modeset``).

The card a ``CUDA_VISIBLE_DEVICES`` entry names is found through the driver's own description of each card,
``/proc/driver/nvidia/gpus/<PCI bus id>/information`` (its ``Device Minor`` is ``N``, its ``GPU UUID`` the card's
name): an index counts the cards in PCI bus order (as with ``CUDA_DEVICE_ORDER=PCI_BUS_ID``), a ``GPU-...`` entry
is a UUID (or its prefix). Inside the sandbox the worker names its card by UUID, so its index there does not matter.
Without ``CUDA_VISIBLE_DEVICES`` the worker is pinned to the first card; with an empty value it gets none.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .isolation import IsolationError

__all__ = ["Card", "GpuMounts", "cards", "gpu_mounts", "pinned_cards"]

_SHARED = ("nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia-modeset")
_SYSFS = ("/sys/module/nvidia", "/sys/bus/pci", "/sys/devices")


@dataclass(frozen=True)
class Card:
    """One NVIDIA card as the driver describes it."""

    bus: str  # PCI bus id, e.g. "0000:3b:00.0"
    minor: int  # its device file is /dev/nvidia<minor>
    uuid: str  # "GPU-..." ("" if the driver does not say)


def cards(proc: Path = Path("/proc")) -> list[Card]:
    """The machine's NVIDIA cards in PCI bus order ([] without the driver)."""
    found = []
    for info in sorted((proc / "driver" / "nvidia" / "gpus").glob("*/information")):
        fields = {}
        for line in info.read_text(errors="replace").splitlines():
            key, _, value = line.partition(":")
            fields[key.strip()] = value.strip()
        try:
            minor = int(fields["Device Minor"])
        except (KeyError, ValueError):
            continue
        found.append(Card(fields.get("Bus Location", info.parent.name).lower(), minor, fields.get("GPU UUID", "")))
    return sorted(found, key=lambda card: card.bus)


def pinned_cards(visible: str | None, machine: list[Card]) -> list[Card]:
    """The cards ``CUDA_VISIBLE_DEVICES=visible`` names (``None``: the first card; ``""``: none)."""
    if visible is None:
        return machine[:1]
    chosen: list[Card] = []
    for entry in filter(None, (part.strip() for part in visible.split(","))):
        if entry.isdigit():
            if int(entry) >= len(machine):
                raise IsolationError(f"CUDA_VISIBLE_DEVICES names card {entry}, but this machine has "
                                     f"{len(machine)} NVIDIA card(s)")
            card = machine[int(entry)]
        else:
            matches = [c for c in machine if c.uuid and c.uuid.startswith(entry)]
            if len(matches) != 1:
                raise IsolationError(f"CUDA_VISIBLE_DEVICES entry {entry!r} names no single card (give an index in "
                                     f"PCI bus order or a GPU-<uuid>; MIG devices are not supported)")
            card = matches[0]
        if card not in chosen:
            chosen.append(card)
    return chosen


@dataclass(frozen=True)
class GpuMounts:
    """What a sandbox needs for its card(s): device files (bound at ``/dev/<name>``), read-only sysfs folders, and
    the worker's environment inside (``CUDA_VISIBLE_DEVICES`` by UUID, ``CUDA_DEVICE_ORDER``)."""

    devices: tuple[Path, ...] = ()
    sysfs: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()


def gpu_mounts(visible: str | None, *, dev: Path = Path("/dev"), proc: Path = Path("/proc")) -> GpuMounts:
    """The device files of the card(s) ``CUDA_VISIBLE_DEVICES=visible`` pins the worker to, and the shared ones;
    nothing where there is no NVIDIA card (or none is pinned)."""
    machine = cards(proc)
    chosen = pinned_cards(visible, machine) if machine else []
    if not chosen:
        return GpuMounts()
    names = [f"nvidia{card.minor}" for card in chosen] + list(_SHARED)
    inside = [card.uuid for card in chosen] if all(card.uuid for card in chosen) else \
        [str(i) for i in range(len(chosen))]
    return GpuMounts(devices=tuple(dev / name for name in names if (dev / name).exists()),
                     sysfs=tuple(path for path in _SYSFS if Path(path).exists()),
                     env=(("CUDA_VISIBLE_DEVICES", ",".join(inside)), ("CUDA_DEVICE_ORDER", "PCI_BUS_ID")))
