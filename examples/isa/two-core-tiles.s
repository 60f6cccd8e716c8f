# y = x @ w on two cores of an xpu-1: each core takes 512 of x's 1024 rows; w (256 x 128 bf16) is two
# 128 x 128 weight tiles whose products accumulate, one in each of the matrix unit's two weight slots;
# the second tile loads while the first multiplies would start (double buffering) and both loads hide
# behind the DMA of x.
# Time it with `xpusim run` (docs/perfsim.md); the chip barrier ends both cores together.
.tensor w dtype=bf16 shape=256x128 level=hbm addr=0x0
.tensor x dtype=bf16 shape=1024x256 level=hbm addr=0x100000
.tensor y dtype=fp32 shape=1024x128 level=hbm addr=0x200000

.core 0
dma.size q=0 n0=32768 esize=2                                                     # both weight tiles, 64 KiB
dma.copy q=0 src=w dst=vmem:0x0 signal=mxu0
dma.size q=0 n0=131072 esize=2                                                    # rows 0-511 of x, 256 KiB
dma.copy q=0 src=x dst=vmem:0x10000 signal=mxu0
mxu.ldw unit=0 slot=0 dtype=bf16 src=0x0 k=128 n=128 stride=0x100 wait=dma0
mxu.ldw unit=0 slot=1 dtype=bf16 src=0x8000 k=128 n=128 stride=0x100
mxu.mm unit=0 slot=0 dtype=bf16 src=0x10000 m=512 stride=0x200 acc=0 wait=dma0     # x[:, 0:128] w[0:128]
mxu.mm unit=0 slot=1 dtype=bf16 src=0x10100 m=512 stride=0x200 acc=0 accumulate=1  # + x[:, 128:256] w[128:256]
mxu.st unit=0 acc=0 m=512 n=128 dst=0x60000 stride=0x200 signal=dma1
dma.size q=1 n0=65536 esize=4                                                     # 512 x 128 fp32
dma.copy q=1 src=vmem:0x60000 dst=y wait=mxu0
barrier scope=chip id=0
halt

.core 1
dma.size q=0 n0=32768 esize=2
dma.copy q=0 src=w dst=vmem:0x0 signal=mxu0
dma.size q=0 n0=131072 esize=2                                                    # rows 512-1023 of x
dma.copy q=0 src=x+0x40000 dst=vmem:0x10000 signal=mxu0
mxu.ldw unit=0 slot=0 dtype=bf16 src=0x0 k=128 n=128 stride=0x100 wait=dma0
mxu.ldw unit=0 slot=1 dtype=bf16 src=0x8000 k=128 n=128 stride=0x100
mxu.mm unit=0 slot=0 dtype=bf16 src=0x10000 m=512 stride=0x200 acc=0 wait=dma0
mxu.mm unit=0 slot=1 dtype=bf16 src=0x10100 m=512 stride=0x200 acc=0 accumulate=1
mxu.st unit=0 acc=0 m=512 n=128 dst=0x60000 stride=0x200 signal=dma1
dma.size q=1 n0=65536 esize=4
dma.copy q=1 src=vmem:0x60000 dst=y+0x40000 wait=mxu0
barrier scope=chip id=0
halt
