"""Screen segments: the recording loop (``pipeline``) keeps a persistent I420 picture
(``canvas``) up to date, encodes it as variable-frame-rate H.264 in fragmented MP4 (``encoder``)
and cuts it into segments, each a media file with its manifest (``writer``; the manifest's format
is ``formats.manifest``), finished after a crash by ``writer.recover``. The worker's spool folder
(``spool``) and its pure logic of recording windows, policy and pre-roll claims (``windows``)
decide which segments are kept; ``stats`` times every stage."""
