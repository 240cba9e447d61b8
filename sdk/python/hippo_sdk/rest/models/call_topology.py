from enum import StrEnum


class CallTopology(StrEnum):
    P2P = "p2p"
    SFU = "sfu"

    def __str__(self) -> str:
        return str(self.value)
