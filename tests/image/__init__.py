"""Tests of the appliance image's scripts."""
