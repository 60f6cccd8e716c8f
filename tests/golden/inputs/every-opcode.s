# Every opcode with every field at its least value (core 0) and at its greatest (core 255), and every
# token an instruction may carry: the round trip's extreme case, and a seed for xbin_fuzz.
.tensor a dtype=int8 shape=1 level=hbm addr=0xffffffffff
.tensor k dtype=fp32 shape=1 level=const addr=0x0
.tensor v_9 dtype=bf16 shape=2x3x4x5x6x7x8x9 level=vmem addr=0x0
.bytes 0000803fff
.core 0
nop
barrier scope=core id=0
dma.size q=0 n0=1 n1=1 n2=1 esize=1 transpose=0
dma.sstride q=0 s1=0x0 s2=0x0
dma.dstride q=0 s1=0x0 s2=0x0
dma.copy q=0 src=hbm:0x0 dst=hbm:0x0 core=0
mxu.ldw unit=0 slot=0 dtype=int8 src=0x0 k=1 n=1 stride=0x0
mxu.mm unit=0 slot=0 dtype=int8 src=0x0 m=1 stride=0x0 acc=0 accumulate=0
mxu.st unit=0 acc=0 m=1 n=1 dst=0x0 stride=0x0
vadd dtype=bf16 dst=0x0 a=0x0 b=0x0 len=1 bcast=0
vsub dtype=bf16 dst=0x0 a=0x0 b=0x0 len=1 bcast=0
vmul dtype=bf16 dst=0x0 a=0x0 b=0x0 len=1 bcast=0
vmax dtype=bf16 dst=0x0 a=0x0 b=0x0 len=1 bcast=0
vmin dtype=bf16 dst=0x0 a=0x0 b=0x0 len=1 bcast=0
vexp dtype=bf16 dst=0x0 src=0x0 len=1
vrsqrt dtype=bf16 dst=0x0 src=0x0 len=1
vgelu dtype=bf16 dst=0x0 src=0x0 len=1
vsilu dtype=bf16 dst=0x0 src=0x0 len=1
vrecip dtype=bf16 dst=0x0 src=0x0 len=1
vmov dtype=int8 dst=0x0 src=0x0 len=1
vadds dtype=bf16 dst=0x0 src=0x0 len=1 imm=0
vmuls dtype=bf16 dst=0x0 src=0x0 len=1 imm=0
vmaxs dtype=bf16 dst=0x0 src=0x0 len=1 imm=0
vsum dtype=bf16 dst=0x0 src=0x0 rows=1 cols=1
vmaxr dtype=bf16 dst=0x0 src=0x0 rows=1 cols=1
vcvt from=int8 to=int8 dst=0x0 src=0x0 len=1
vquant from=bf16 to=int8 dst=0x0 src=0x0 scale=0x0 len=1
vdequant from=int8 to=bf16 dst=0x0 src=0x0 scale=0x0 len=1
halt
.core 255
nop
barrier scope=chip id=255
dma.size q=1 n0=1048576 n1=1048576 n2=1048576 esize=8 transpose=1 wait=dma0,mxu0,mxu1,mxu2,mxu3,vpu signal=dma0,mxu0,mxu1,mxu2,mxu3,vpu
dma.sstride q=1 s1=0xffffffffffff s2=0xffffffffffff wait=dma0,mxu0,mxu1,mxu2,mxu3,vpu signal=dma0,mxu0,mxu1,mxu2,mxu3,vpu
dma.dstride q=1 s1=0xffffffffffff s2=0xffffffffffff wait=dma0,mxu0,mxu1,mxu2,mxu3,vpu signal=dma0,mxu0,mxu1,mxu2,mxu3,vpu
dma.copy q=1 src=rvmem:0xffffffffff dst=rvmem:0xffffffffff core=255 wait=dma0,mxu0,mxu1,mxu2,mxu3,vpu signal=dma0,mxu0,mxu1,mxu2,mxu3,vpu
mxu.ldw unit=3 slot=1 dtype=fp16 src=0xffffff k=256 n=256 stride=0xffffff wait=dma0,dma1,mxu0,mxu1,mxu2,vpu signal=dma0,dma1,mxu0,mxu1,mxu2,vpu
mxu.mm unit=3 slot=1 dtype=fp16 src=0xffffff m=65536 stride=0xffffff acc=65535 accumulate=1 wait=dma0,dma1,mxu0,mxu1,mxu2,vpu signal=dma0,dma1,mxu0,mxu1,mxu2,vpu
mxu.st unit=3 acc=65535 m=65536 n=256 dst=0xffffff stride=0xffffff wait=dma0,dma1,mxu0,mxu1,mxu2,vpu signal=dma0,dma1,mxu0,mxu1,mxu2,vpu
vadd dtype=int32 dst=0xffffff a=0xffffff b=0xffffff len=1048576 bcast=1 wait=dma0,dma1,mxu0,mxu1,mxu2,mxu3 signal=dma0,dma1,mxu0,mxu1,mxu2,mxu3
vsub dtype=int32 dst=0xffffff a=0xffffff b=0xffffff len=1048576 bcast=1 wait=dma0,dma1,mxu0,mxu1,mxu2,mxu3 signal=dma0,dma1,mxu0,mxu1,mxu2,mxu3
vmul dtype=int32 dst=0xffffff a=0xffffff b=0xffffff len=1048576 bcast=1 wait=dma0,dma1,mxu0,mxu1,mxu2,mxu3 signal=dma0,dma1,mxu0,mxu1,mxu2,mxu3
vmax dtype=int32 dst=0xffffff a=0xffffff b=0xffffff len=1048576 bcast=1 wait=dma0,dma1,mxu0,mxu1,mxu2,mxu3 signal=dma0,dma1,mxu0,mxu1,mxu2,mxu3
vmin dtype=int32 dst=0xffffff a=0xffffff b=0xffffff len=1048576 bcast=1 wait=dma0,dma1,mxu0,mxu1,mxu2,mxu3 signal=dma0,dma1,mxu0,mxu1,mxu2,mxu3
vexp dtype=fp32 dst=0xffffff src=0xffffff len=1048576 wait=dma0,dma1,mxu0,mxu1,mxu2,mxu3 signal=dma0,dma1,mxu0,mxu1,mxu2,mxu3
vrsqrt dtype=fp32 dst=0xffffff src=0xffffff len=1048576 wait=dma0,dma1,mxu0,mxu1,mxu2,mxu3 signal=dma0,dma1,mxu0,mxu1,mxu2,mxu3
vgelu dtype=fp32 dst=0xffffff src=0xffffff len=1048576 wait=dma0,dma1,mxu0,mxu1,mxu2,mxu3 signal=dma0,dma1,mxu0,mxu1,mxu2,mxu3
vsilu dtype=fp32 dst=0xffffff src=0xffffff len=1048576 wait=dma0,dma1,mxu0,mxu1,mxu2,mxu3 signal=dma0,dma1,mxu0,mxu1,mxu2,mxu3
vrecip dtype=fp32 dst=0xffffff src=0xffffff len=1048576 wait=dma0,dma1,mxu0,mxu1,mxu2,mxu3 signal=dma0,dma1,mxu0,mxu1,mxu2,mxu3
vmov dtype=int32 dst=0xffffff src=0xffffff len=1048576 wait=dma0,dma1,mxu0,mxu1,mxu2,mxu3 signal=dma0,dma1,mxu0,mxu1,mxu2,mxu3
vadds dtype=int32 dst=0xffffff src=0xffffff len=1048576 imm=0xffffffff wait=dma0,dma1,mxu0,mxu1,mxu2,mxu3 signal=dma0,dma1,mxu0,mxu1,mxu2,mxu3
vmuls dtype=int32 dst=0xffffff src=0xffffff len=1048576 imm=0xffffffff wait=dma0,dma1,mxu0,mxu1,mxu2,mxu3 signal=dma0,dma1,mxu0,mxu1,mxu2,mxu3
vmaxs dtype=int32 dst=0xffffff src=0xffffff len=1048576 imm=0xffffffff wait=dma0,dma1,mxu0,mxu1,mxu2,mxu3 signal=dma0,dma1,mxu0,mxu1,mxu2,mxu3
vsum dtype=int32 dst=0xffffff src=0xffffff rows=65536 cols=65536 wait=dma0,dma1,mxu0,mxu1,mxu2,mxu3 signal=dma0,dma1,mxu0,mxu1,mxu2,mxu3
vmaxr dtype=int32 dst=0xffffff src=0xffffff rows=65536 cols=65536 wait=dma0,dma1,mxu0,mxu1,mxu2,mxu3 signal=dma0,dma1,mxu0,mxu1,mxu2,mxu3
vcvt from=int32 to=int32 dst=0xffffff src=0xffffff len=1048576 wait=dma0,dma1,mxu0,mxu1,mxu2,mxu3 signal=dma0,dma1,mxu0,mxu1,mxu2,mxu3
vquant from=fp32 to=fp8_e5m2 dst=0xffffff src=0xffffff scale=0xffffff len=1048576 wait=dma0,dma1,mxu0,mxu1,mxu2,mxu3 signal=dma0,dma1,mxu0,mxu1,mxu2,mxu3
vdequant from=int32 to=fp32 dst=0xffffff src=0xffffff scale=0xffffff len=1048576 wait=dma0,dma1,mxu0,mxu1,mxu2,mxu3 signal=dma0,dma1,mxu0,mxu1,mxu2,mxu3
halt
