"""CineLens, started with ``streamlit run app.py``.

Streamlit finds the ``app`` below (an ``st.App``) and serves this file as the script of every session beside one
extra route: big files stream to the workspace's disk through it instead of through ``st.file_uploader``'s memory
(``ui/bigupload.py``). As the script (``__main__``) it draws the frame and the chosen page (``ui/frame.py``)."""

from __future__ import annotations

import streamlit as st

if __name__ == "__main__":  # the script of every session
    from ui.frame import main

    main()
else:  # imported by `streamlit run app.py` as the server: Streamlit plus the big-file route
    from ui import bigupload

    app = st.App(__file__, routes=bigupload.mount())
