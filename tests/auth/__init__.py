"""Tests of mini-program sign-in."""
