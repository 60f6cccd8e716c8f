# y = gelu(x @ w + b) for one 128x128 bf16 tile on core 0 of an xpu-1 (docs/isa.md walks through it).
# DMA queue 0 brings the operands in, matrix unit 0 multiplies, the vector unit adds the bias, applies
# gelu and converts to bf16, DMA queue 1 writes the result back; tokens order the engines.
.tensor x dtype=bf16 shape=128x128 level=hbm addr=0x0
.tensor w dtype=bf16 shape=128x128 level=hbm addr=0x8000
.tensor y dtype=bf16 shape=128x128 level=hbm addr=0x10000
.tensor x_v dtype=bf16 shape=128x128 level=vmem addr=0x0
.tensor w_v dtype=bf16 shape=128x128 level=vmem addr=0x8000
.tensor acc_v dtype=fp32 shape=128x128 level=vmem addr=0x10000
.tensor y_v dtype=bf16 shape=128x128 level=vmem addr=0x20000
.tensor b_v dtype=fp32 shape=1 level=vmem addr=0x28000
.const b dtype=fp32 shape=1 values=0.5

.core 0
dma.size q=0 n0=16384 esize=2                     # 128 x 128 bf16, contiguous
dma.copy q=0 src=w dst=w_v signal=mxu0            # token 1 to mxu0: w is in VMEM
dma.copy q=0 src=x dst=x_v signal=mxu0            # token 2 to mxu0: x is in VMEM
dma.size q=0 n0=1 esize=4
dma.copy q=0 src=b dst=b_v signal=vpu             # the bias, from the constants
mxu.ldw unit=0 slot=0 dtype=bf16 src=w_v k=128 n=128 stride=0x100 wait=dma0
mxu.mm unit=0 slot=0 dtype=bf16 src=x_v m=128 stride=0x100 acc=0 wait=dma0
mxu.st unit=0 acc=0 m=128 n=128 dst=acc_v stride=0x200 signal=vpu
vadd dtype=fp32 dst=acc_v a=acc_v b=b_v len=16384 bcast=1 wait=dma0,mxu0
vgelu dtype=fp32 dst=acc_v src=acc_v len=16384
vcvt from=fp32 to=bf16 dst=y_v src=acc_v len=16384 signal=dma1
dma.size q=1 n0=16384 esize=2
dma.copy q=1 src=y_v dst=y wait=vpu
barrier scope=core id=0
halt
