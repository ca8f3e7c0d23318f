"""Stand-in for `torch` on the TorchServe worker's path (not PyTorch).

TorchServe's worker imports torch only to recognise a returned `torch.Tensor`
(ts/protocol/otf_message_handler.py); the decode handler never returns one
and never uses torch. The real wheel pulls gigabytes of CUDA libraries, so
this module stands in for the import. Anything that truly needs PyTorch fails
loudly here instead of silently.
"""

__version__ = "0.0.0+imgwire.stand.in"


class Tensor:
    """Never instantiated: only the isinstance() check needs the name."""


def save(*_args, **_kwargs):
    raise NotImplementedError("torch stand-in: install the real torch to return tensors")


def __getattr__(name):
    raise AttributeError(f"torch stand-in has no '{name}': install the real torch wheel to use it")
