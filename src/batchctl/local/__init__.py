"""The local AWS emulator: moto's server with the compatibility patches, its process lifecycle, Docker checks.

Importing this package imports nothing heavy; moto is loaded by the modules that need it.
"""
