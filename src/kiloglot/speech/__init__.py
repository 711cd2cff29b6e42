"""Hearing and speaking: ``Recognizer`` (speech -> ``Transcript``) and ``Synthesizer`` (text -> ``Audio``)
back-ends by name, audio decoding, and recogniser output normalised to the parser's written style.

    from kiloglot.speech import create_recognizer, create_synthesizer, decode
    audio = create_synthesizer().synthesize("wake me up at seven", "en-US")
    transcript = create_recognizer().transcribe(audio.resampled())
"""

from kiloglot.speech.audio import Audio, AudioError, check_speech, decode
from kiloglot.speech.contract import Recognizer, Segment, Synthesizer, Transcript, Voice
from kiloglot.speech.normalize import style_prompt, to_written_style
from kiloglot.speech.registry import create_recognizer, create_synthesizer, recognizer_names, synthesizer_names

__all__ = [
    "Audio",
    "AudioError",
    "Recognizer",
    "Segment",
    "Synthesizer",
    "Transcript",
    "Voice",
    "check_speech",
    "create_recognizer",
    "create_synthesizer",
    "decode",
    "recognizer_names",
    "style_prompt",
    "synthesizer_names",
    "to_written_style",
]
