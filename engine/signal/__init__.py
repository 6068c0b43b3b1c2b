"""The signal engine: eight factors, weights, modes, data quality, the weighted score.

Pure and clock-free: inputs and ``now_ms`` come in, frozen results go out.
"""
