# The vector unit waits for a token from dma0 that no DMA instruction signals: perfsim reports a deadlock.
dma.size q=0 n0=64 esize=4
dma.copy q=0 src=hbm:0x0 dst=vmem:0x0
vexp dtype=fp32 dst=0x0 src=0x0 len=64 wait=dma0
halt
