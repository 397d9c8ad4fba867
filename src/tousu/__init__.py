"""Tousu (投诉): complaint handling and complaint risk assessment."""
