"""What was said in a call: the transcription worker, masking, per-call talk metrics, search.

The worker (`agentdesk-store transcribe`, its own process) claims a job per call with audio,
transcribes the operator (left) and customer (right) channels apart with faster-whisper, masks
card numbers and paused spans, and stores segments and words in UTC µs with the call's talk
metrics. The API reads them (`store/api/transcripts.py`). See store/README.md, "Transcripts".
"""
