"""The Help ▸ Controls text: every mouse gesture and key of the window."""

CONTROLS = """<b>Mouse</b><br>
Hover a point — thumbnail of its decoded image<br>
Click a point — decode it into the preview<br>
Shift+click a point — add it as a waypoint of a walk<br>
Ctrl+drag — lasso a selection, Shift+drag — a box<br>
With the Lasso (L) or Box (B) tool: drag selects, Shift+drag adds, Ctrl/Alt+drag removes; H pans again<br>
Drag — pan; wheel — zoom; right-click — view menu and Export scatter…<br>
Drop a checkpoint or session on the window — open it<br>
Drop images or a folder — encode them into the scatter (triangles)<br><br>
<b>Keys</b><br>
Ctrl+O open checkpoint · Ctrl+Shift+O open session · Ctrl+S save session · Ctrl+Q quit<br>
Ctrl+Z undo · Ctrl+Shift+Z redo · Esc dismiss message / clear selection<br>
Ctrl+A select all · Ctrl+I invert · Ctrl+F select where (an attribute query)<br>
K keep · R reject · 1–9 your own tags (Tags ▸ New tag…): on the selection, else the current point<br>
Ctrl+W walk · Ctrl+Shift+W add waypoint · Ctrl+Shift+A export the walk as MP4/GIF · Ctrl+E expression · Ctrl+N neighbours<br>
Ctrl+Shift+C copy the image of the preview (or of the figure you clicked); right-click a figure to save it<br>
Ctrl+B keep the view as a slide · F11 present the slides (→ ← Space Page Up/Down step, Esc leaves)<br>
Ctrl+0 reset the view · F1 this help<br><br>
<b>Code-map editor</b> (a VQ-VAE: Explore ▸ Edit code map…)<br>
Drag over the grid — paint cells with the chosen code · right-click a cell — pick its code · Ctrl+Z undo a stroke"""
