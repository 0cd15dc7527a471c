"""CloudFormation CLI language plugin for Rust handlers built with cargo lambda."""
__version__ = "0.1.0"
