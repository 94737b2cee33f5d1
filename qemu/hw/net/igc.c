/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Emulated Intel I225/I226 2.5 GbE controller ("igc") for the
 * xdp-hints harness: the PCI/QOM device.
 *
 * This file is the glue: PCI config, BAR0 (registers) and BAR3 (MSI-X),
 * MSI/PM/PCIe capabilities, the net client, properties and reset.  The
 * model itself (registers, RX/TX, RSS, PTP clock) is the IgcCore in
 * igc_core.c; the QOM hooks the harness reads are in igc_harness.c.
 */

#include "qemu/osdep.h"
#include "qemu/module.h"
#include "qemu/range.h"
#include "qapi/error.h"
#include "net/net.h"
#include "hw/pci/pci.h"
#include "hw/pci/pci_device.h"
#include "hw/pci/pcie.h"
#include "hw/pci/msi.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "qom/object.h"
#include "system/system.h"

#include "igc_core.h"
#include "igc_harness.h"
#include "trace.h"

#define TYPE_IGC "igc"
OBJECT_DECLARE_SIMPLE_TYPE(IGCState, IGC)

#define IGC_DEV_ID_I225_LM      0x15F2
#define IGC_DEV_ID_I226_LM      0x125B

struct IGCState {
    PCIDevice parent_obj;

    NICState *nic;
    NICConf conf;
    uint16_t device_id_prop;
    bool use_msix;
    bool use_msi;

    MemoryRegion mmio;
    MemoryRegion msix;

    IgcCore core;
};

/* ------------------------------------------------------------------ */
/* BAR0 and the net client: forwarded to the core                      */

static uint64_t igc_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    IGCState *s = opaque;
    return igc_core_read(&s->core, addr, size);
}

static void igc_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                           unsigned size)
{
    IGCState *s = opaque;
    igc_core_write(&s->core, addr, val, size);
}

static const MemoryRegionOps igc_mmio_ops = {
    .read = igc_mmio_read,
    .write = igc_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .impl = { .min_access_size = 4, .max_access_size = 4 },
    .valid = { .min_access_size = 4, .max_access_size = 4 },
};

static bool igc_can_receive(NetClientState *nc)
{
    IGCState *s = qemu_get_nic_opaque(nc);
    return igc_core_can_receive(&s->core);
}

static ssize_t igc_receive_iov(NetClientState *nc, const struct iovec *iov,
                               int iovcnt)
{
    IGCState *s = qemu_get_nic_opaque(nc);
    return igc_core_receive_iov(&s->core, iov, iovcnt);
}

static void igc_set_link_status(NetClientState *nc)
{
    IGCState *s = qemu_get_nic_opaque(nc);
    igc_core_set_link_status(&s->core, nc->link_down);
}

static NetClientInfo net_igc_info = {
    .type = NET_CLIENT_DRIVER_NIC,
    .size = sizeof(NICState),
    .can_receive = igc_can_receive,
    .receive_iov = igc_receive_iov,
    .link_status_changed = igc_set_link_status,
};

/* ------------------------------------------------------------------ */
/* PCI                                                                 */

/* bus mastering switched on: frames the backend held can come in now */
static void igc_write_config(PCIDevice *d, uint32_t addr, uint32_t val, int len)
{
    IGCState *s = IGC(d);

    pci_default_write_config(d, addr, val, len);
    if (range_covers_byte(addr, len, PCI_COMMAND) &&
        (d->config[PCI_COMMAND] & PCI_COMMAND_MASTER)) {
        igc_core_flush_rx(&s->core);
    }
}

static void igc_init_config(IGCState *s)
{
    PCIDevice *d = PCI_DEVICE(s);

    pci_set_word(d->config + PCI_DEVICE_ID, s->device_id_prop);
    pci_set_word(d->config + PCI_SUBSYSTEM_VENDOR_ID, PCI_VENDOR_ID_INTEL);
    pci_set_word(d->config + PCI_SUBSYSTEM_ID, 0x0000);
    d->config_write = igc_write_config;
    d->config[PCI_CACHE_LINE_SIZE] = 0x10;
    d->config[PCI_INTERRUPT_PIN] = 1;
}

/* PCIe, MSI-X (BAR3), MSI and PM capabilities */
static bool igc_init_caps(IGCState *s, Error **errp)
{
    PCIDevice *d = PCI_DEVICE(s);
    int v;

    if (pcie_endpoint_cap_init(d, 0xA0) < 0) {
        error_setg(errp, "igc: PCIe capability init failed");
        return false;
    }
    if (s->use_msix) {
        if (msix_init(d, IGC_MSIX_VECTORS, &s->msix, 3, 0, &s->msix, 3, 0x2000,
                      0x70, errp)) {
            return false;
        }
        for (v = 0; v < IGC_MSIX_VECTORS; v++) {
            msix_vector_use(d, v);
        }
    }
    if (s->use_msi && msi_init(d, 0x50, 1, true, false, NULL)) {
        trace_igc_msi_init_fail();
    }
    return pci_pm_init(d, 0x40, errp) >= 0;
}

static void igc_realize(PCIDevice *d, Error **errp)
{
    IGCState *s = IGC(d);

    if (s->device_id_prop != IGC_DEV_ID_I225_LM &&
        s->device_id_prop != IGC_DEV_ID_I226_LM) {
        error_setg(errp, "igc: device-id must be 0x15f2 (I225-LM) or "
                   "0x125b (I226-LM)");
        return;
    }
    igc_init_config(s);
    memory_region_init_io(&s->mmio, OBJECT(s), &igc_mmio_ops, s, "igc-mmio",
                          IGC_MMIO_SIZE);
    pci_register_bar(d, 0, PCI_BASE_ADDRESS_SPACE_MEMORY, &s->mmio);
    memory_region_init(&s->msix, OBJECT(s), "igc-msix", IGC_MSIX_BAR_SIZE);
    pci_register_bar(d, 3, PCI_BASE_ADDRESS_SPACE_MEMORY, &s->msix);
    if (!igc_init_caps(s, errp)) {
        return;
    }

    qemu_macaddr_default_if_unset(&s->conf.macaddr);
    s->nic = qemu_new_nic(&net_igc_info, &s->conf, object_get_typename(OBJECT(s)),
                          DEVICE(s)->id, &DEVICE(s)->mem_reentrancy_guard, s);
    qemu_format_nic_info_str(qemu_get_queue(s->nic), s->conf.macaddr.a);

    igc_core_realize(&s->core, d, s->nic, s->conf.macaddr.a, s->device_id_prop,
                     s->conf.peers.queues);
}

static void igc_exit(PCIDevice *d)
{
    IGCState *s = IGC(d);

    igc_core_unrealize(&s->core);
    qemu_del_nic(s->nic);
    if (s->use_msix) {
        msix_uninit(d, &s->msix, &s->msix);
    }
    msi_uninit(d);
}

/* ------------------------------------------------------------------ */
/* QOM                                                                 */

static void igc_instance_init(Object *obj)
{
    IGCState *s = IGC(obj);

    device_add_bootindex_property(obj, &s->conf.bootindex, "bootindex",
                                  "/ethernet-phy@0", DEVICE(obj));
    igc_harness_init(obj, &s->core);
}

static void igc_reset_hold(Object *obj, ResetType type)
{
    igc_core_reset(&IGC(obj)->core);
}

static const VMStateDescription igc_vmstate = {
    .name = "igc",
    .unmigratable = 1,
};

static const Property igc_properties[] = {
    DEFINE_NIC_PROPERTIES(IGCState, conf),
    DEFINE_PROP_UINT16("device-id", IGCState, device_id_prop, IGC_DEV_ID_I225_LM),
    /* interrupt fallbacks for driver tests: msix=off -> MSI, both off -> INTx */
    DEFINE_PROP_BOOL("msix", IGCState, use_msix, true),
    DEFINE_PROP_BOOL("msi", IGCState, use_msi, true),
};

static void igc_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = igc_realize;
    k->exit = igc_exit;
    k->vendor_id = PCI_VENDOR_ID_INTEL;
    k->device_id = IGC_DEV_ID_I225_LM;
    k->revision = 3;
    k->class_id = PCI_CLASS_NETWORK_ETHERNET;
    rc->phases.hold = igc_reset_hold;
    dc->desc = "Intel I225/I226 2.5GbE (xdp-hints harness model)";
    dc->vmsd = &igc_vmstate;
    device_class_set_props(dc, igc_properties);
    set_bit(DEVICE_CATEGORY_NETWORK, dc->categories);
}

static const TypeInfo igc_info = {
    .name = TYPE_IGC,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(IGCState),
    .class_init = igc_class_init,
    .instance_init = igc_instance_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_PCIE_DEVICE },
        { }
    },
};

static void igc_register_types(void)
{
    type_register_static(&igc_info);
}

type_init(igc_register_types)
