"""The in-house Keras CNN: architecture, loading, LFW data, training and evaluation.

Importing this package imports neither keras nor dlib; each submodule does so lazily.
"""
