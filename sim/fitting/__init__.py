"""Fitting: calibration to published figures and the validation claims."""
