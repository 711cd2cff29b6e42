"""Audio in and out: decode any common container (WAV, FLAC, OGG, WebM, MP3) to 16 kHz mono float32
with PyAV (FFmpeg's decoders, bundled in its wheel), write WAV with the standard library.

Every check a recogniser needs before it spends time lives here: empty, undecodable, too long, silent.
"""

from __future__ import annotations

import io
import logging
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kiloglot.errors import InputError

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000  # what Whisper and every Wyoming ASR service expect
DEFAULT_MAX_SECONDS = 30.0
# Peak below -50 dBFS: nothing a microphone picked up from a speaker in the room.
SILENCE_PEAK = 10 ** (-50 / 20)


class AudioError(InputError):
    """Audio that cannot be used: empty, undecodable, too long or silent."""


@dataclass(frozen=True)
class Audio:
    """Mono float32 samples in [-1, 1] at ``sample_rate`` Hz."""

    samples: np.ndarray
    sample_rate: int = SAMPLE_RATE

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.sample_rate

    @property
    def peak(self) -> float:
        return float(np.max(np.abs(self.samples))) if len(self.samples) else 0.0

    def to_pcm16(self) -> bytes:
        """Little-endian signed 16-bit samples (WAV's and Wyoming's PCM)."""
        clipped = np.clip(self.samples, -1.0, 1.0)
        return (clipped * 32767.0).astype("<i2").tobytes()

    def to_wav(self) -> bytes:
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(self.sample_rate)
            out.writeframes(self.to_pcm16())
        return buffer.getvalue()

    def resampled(self, rate: int = SAMPLE_RATE) -> Audio:
        if rate == self.sample_rate or not len(self.samples):
            return Audio(self.samples, rate)
        from scipy.signal import resample_poly

        g = np.gcd(rate, self.sample_rate)
        out = resample_poly(self.samples, rate // g, self.sample_rate // g).astype(np.float32)
        return Audio(out, rate)

    @classmethod
    def from_pcm16(cls, data: bytes, sample_rate: int, channels: int = 1) -> Audio:
        samples = np.frombuffer(data[: len(data) - len(data) % (2 * channels)], dtype="<i2").astype(np.float32)
        if channels > 1:
            samples = samples.reshape(-1, channels).mean(axis=1)
        return cls(samples / 32768.0, sample_rate)


def decode(data: bytes | Path, *, name: str = "audio") -> Audio:
    """Decode a file or bytes of any container FFmpeg reads into 16 kHz mono; ``AudioError`` when it cannot."""
    if isinstance(data, Path):
        name = str(data)
        try:
            data = data.read_bytes()
        except OSError as exc:
            raise AudioError(f"{name}: cannot read the audio file ({exc.strerror})") from exc
    if not data:
        raise AudioError(f"{name}: the audio is empty (0 bytes); expected WAV, FLAC, OGG, WebM or MP3")
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        try:
            return _decode_wav(data)
        except (wave.Error, EOFError, ValueError):
            pass  # a WAV the stdlib does not take (float, extensible): FFmpeg reads it
    return _decode_ffmpeg(data, name)


def _decode_wav(data: bytes) -> Audio:
    with wave.open(io.BytesIO(data), "rb") as wav:
        if wav.getsampwidth() != 2:
            raise ValueError("not 16-bit")
        frames = wav.readframes(wav.getnframes())
        audio = Audio.from_pcm16(frames, wav.getframerate(), wav.getnchannels())
    return audio.resampled(SAMPLE_RATE)


def _decode_ffmpeg(data: bytes, name: str) -> Audio:
    try:
        import av
    except ImportError as exc:
        raise AudioError(f"{name}: only 16-bit WAV can be read without PyAV; pip install 'kiloglot[speech]'") from exc
    chunks: list[np.ndarray] = []
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.audio:
                raise AudioError(f"{name}: the file holds no audio stream")
            resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
            for frame in container.decode(audio=0):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except AudioError:
        raise
    except Exception as exc:  # FFmpeg's errors are many classes; all mean the same to the user
        raise AudioError(
            f"{name}: cannot decode the audio ({type(exc).__name__}); expected WAV, FLAC, OGG, WebM or MP3"
        ) from exc
    samples = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    return Audio(samples, SAMPLE_RATE)


def check_speech(audio: Audio, *, name: str = "audio", max_seconds: float = DEFAULT_MAX_SECONDS) -> Audio:
    """Refuse audio a recogniser should not be given: empty, longer than ``max_seconds``, or silent."""
    if not len(audio.samples):
        raise AudioError(f"{name}: the audio holds no samples")
    if audio.seconds > max_seconds:
        raise AudioError(
            f"{name}: the audio is {audio.seconds:.1f} s long; at most {max_seconds:g} s is accepted "
            "(KILOGLOT_SPEECH_MAX_SECONDS)"
        )
    if audio.peak < SILENCE_PEAK:
        raise AudioError(f"{name}: the audio is silent (peak {20 * np.log10(max(audio.peak, 1e-9)):.0f} dBFS)")
    return audio
