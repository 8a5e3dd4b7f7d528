/*
 * HotSpot's disassembler plugin (the hsdis-<arch>.so that -XX:+PrintAssembly loads) on Capstone:
 * the JVM hands over a code buffer and two callbacks, and gets each instruction back between an
 * "insn" and an "/insn" event, which is where it prints addresses and its own annotations.
 * SKIPDATA keeps going past an encoding Capstone 4 does not know instead of stopping there.
 */
#include <capstone/capstone.h>
#include <stdint.h>
#include <stddef.h>
typedef void* (*event_cb)(void*, const char*, void*);
typedef int (*printf_cb)(void*, const char*, ...);
void* decode_instructions_virtual(uintptr_t start_va, uintptr_t end_va, unsigned char* buffer, uintptr_t length,
                                  event_cb ev, void* es, printf_cb pf, void* ps, const char* options, int newline) {
  csh h;
  if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK) return NULL;
  cs_option(h, CS_OPT_SKIPDATA, CS_OPT_ON);
  cs_insn* insn;
  size_t n = cs_disasm(h, buffer, length, start_va, 0, &insn);
  uintptr_t end = start_va;
  for (size_t i = 0; i < n; i++) {
    ev(es, "insn", (void*) insn[i].address);
    pf(ps, "%s\t%s", insn[i].mnemonic, insn[i].op_str);
    ev(es, "/insn", (void*) (insn[i].address + insn[i].size));
    if (newline) pf(ps, "\n");
    end = insn[i].address + insn[i].size;
  }
  if (n) cs_free(insn, n);
  cs_close(&h);
  return (void*) end;
}
