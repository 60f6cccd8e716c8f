# Three mistakes, each reported at its line and column.
.tensor x dtype=bf16 shape=128x128 level=hbm addr=0x0
dma.copy q=0 src=x dst=vmem:0x0 signal=dma0
mxu.mm unit=0 dtype=fp32 src=0x0 m=128
vexpp dtype=fp32 len=16
halt
