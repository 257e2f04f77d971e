"""Scanner hardware: SANE devices (sane_scanner, virtual_scanner, sane_config) and USB hotplug (hotplug).

The only package that imports `sane` and `pyudev`. SANE is initialised once per process through
`sane_config.initialise_sane`; nothing here starts at import time.
"""
