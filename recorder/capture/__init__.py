"""Looking at the screen: mss grabs of a monitor or the whole desktop at a paced rate
(``grab``), what X reports as drawn on (``damage``), which 32×32 tiles really changed
(``changes``), pixel rectangles (``geometry``) and the top-level windows whose titles are masked
(``titles``). Nothing here encodes or writes files."""
