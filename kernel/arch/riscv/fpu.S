/* User floating-point state. The kernel itself never touches FP registers (it is built
 * without F/D); these two routines move a task's f0-f31 and fcsr to and from memory
 * (struct fpstate: 32 doubles then fcsr). sstatus.FS must not be Off when they run. */
    .option arch, +d
    .text
    .globl fpu_save
fpu_save:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    fsd f\n, (\n * 8)(a0)
    .endr
    frcsr t0
    sw t0, 256(a0)
    ret

    .globl fpu_restore
fpu_restore:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    fld f\n, (\n * 8)(a0)
    .endr
    lw t0, 256(a0)
    fscsr t0
    ret
