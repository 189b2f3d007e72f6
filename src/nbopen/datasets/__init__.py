"""Data assets: conversion of dataset repositories to Parquet, statistics, search, filter.

The viewer API (``nbopen.hubapi.viewer``) only reads what the conversion job produced, so
a request never touches a raw upload.
"""
