# A copy into VMEM past xpu-1's 16 MiB: perfsim reports the address.
dma.size q=0 n0=4096 esize=4
dma.copy q=0 src=hbm:0x0 dst=vmem:0xfff000
halt
