"""The desk's alert sound: a two-tone chime (叮咚) made here rather than taken from elsewhere, so
its licence is ours and it ships with the code (intranets have no internet).

    python -m anmin.dispatch.chime   # writes anmin/dispatch/static/dispatch/chime.wav

Two bell-like notes, G5 after C6, each a sine with a little of its octave, a 5 ms attack and an
exponential decay; 16 kHz, 16-bit mono, 0.8 s: about 25 KB, short enough not to mask a caller's
voice in the headset, distinct from a phone's ring.
"""

import io
import math
import struct
import wave
from pathlib import Path

RATE = 16_000
NOTES = ((1046.5, 0.0), (784.0, 0.28))  # (frequency Hz, start s): 叮 … 咚
LENGTH_S = 0.8
DECAY_S = 0.16  # time constant of the decay
ATTACK_S = 0.005
VOLUME = 0.45
PATH = Path(__file__).resolve().parent / "static" / "dispatch" / "chime.wav"


def samples() -> list[int]:
    out = []
    for n in range(int(RATE * LENGTH_S)):
        t = n / RATE
        value = 0.0
        for freq, start in NOTES:
            local = t - start
            if local < 0:
                continue
            envelope = min(1.0, local / ATTACK_S) * math.exp(-local / DECAY_S)
            value += envelope * (math.sin(2 * math.pi * freq * local) + 0.25 * math.sin(4 * math.pi * freq * local))
        out.append(round(max(-1.0, min(1.0, value * VOLUME / 1.25)) * 32767))
    # The last samples fade to silence: no click at the end.
    fade = int(RATE * 0.02)
    for i in range(fade):
        out[-1 - i] = round(out[-1 - i] * i / fade)
    return out


def chime_wav() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(struct.pack(f"<{int(RATE * LENGTH_S)}h", *samples()))
    return buffer.getvalue()


if __name__ == "__main__":
    PATH.write_bytes(chime_wav())
    print(f"{PATH}: {PATH.stat().st_size} bytes")
