/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Register map of the emulated Intel I225/I226 (igc) NIC.
 *
 * Offsets and bit meanings are facts taken from the Linux igc driver's
 * public register documentation; the layout of this file is our own.
 */
#ifndef HW_NET_IGC_REGS_H
#define HW_NET_IGC_REGS_H

#define IGC_MMIO_SIZE           0x20000
#define IGC_MSIX_BAR_SIZE       0x4000
#define IGC_MSIX_VECTORS        5
#define IGC_NUM_QUEUES          4

/* general */
#define R_CTRL          0x00000
#define R_STATUS        0x00008
#define R_EECD          0x00010
#define R_CTRL_EXT      0x00018
#define R_MDIC          0x00020
#define R_FCAL          0x00028
#define R_FCAH          0x0002C
#define R_FCT           0x00030
#define R_FCTTV         0x00170
#define R_TIPG          0x00410
#define R_FCRTH         0x02168
#define R_VET           0x00038
#define R_RCTL          0x00100
#define R_TCTL          0x00400
#define R_PHPM          0x00E14
#define R_RXPBS         0x02404
#define R_EERD          0x12014
#define R_SRWR          0x12018
#define R_SWSM          0x05B50
#define R_FWSM          0x05B54
#define R_SW_FW_SYNC    0x05B5C
#define R_MANC          0x05820
#define R_RLPML         0x05004
#define R_RXCSUM        0x05000

/* interrupts */
#define R_ICR           0x01500
#define R_ICS           0x01504
#define R_IMS           0x01508
#define R_IMC           0x0150C
#define R_IAM           0x01510
#define R_GPIE          0x01514
#define R_EICS          0x01520
#define R_EIMS          0x01524
#define R_EIMC          0x01528
#define R_EIAC          0x0152C
#define R_EIAM          0x01530
#define R_EICR          0x01580
#define R_IVAR0         0x01700
#define R_IVAR_MISC     0x01740

/* filters / RSS */
#define R_MTA           0x05200
#define R_RAL0          0x05400
#define R_RAH0          0x05404
#define IGC_RAR_ENTRIES 16
#define R_MRQC          0x05818
#define R_RETA          0x05C00
#define R_RSSRK         0x05C80
#define R_VLANPQF       0x055B0         /* VLAN priority -> queue */
#define R_ETQF(n)       (0x05CB0 + 4 * (n))
#define IGC_ETQF_ENTRIES 8
#define R_WUFC          0x05808
#define R_WUFC_EXT      0x0580C
#define R_FHFTSL        0x05804
#define R_FHFT(n)       (0x09000 + 0x100 * (n))         /* flex filters 0-3 */
#define R_FHFT_EXT(n)   (0x09A00 + 0x100 * (n))         /* flex filters 4-7 */
#define IGC_FLEX_ENTRIES 8              /* one FHFTSL bank modelled */

/* statistics block (clear on read) */
#define R_STATS_START   0x04000
#define R_STATS_END     0x04200
#define R_MPC           0x04010
#define R_GPRC          0x04074
#define R_BPRC          0x04078
#define R_MPRC          0x0407C
#define R_GPTC          0x04080
#define R_GORCL         0x04088
#define R_GORCH         0x0408C
#define R_GOTCL         0x04090
#define R_GOTCH         0x04094
#define R_RNBC          0x040A0
#define R_RUC           0x040A4
#define R_ROC           0x040AC
#define R_TORL          0x040C0
#define R_TORH          0x040C4
#define R_TOTL          0x040C8
#define R_TOTH          0x040CC
#define R_TPR           0x040D0
#define R_TPT           0x040D4

/* queues */
#define R_RDBAL(n)      (0x0C000 + 0x40 * (n))
#define R_RDBAH(n)      (0x0C004 + 0x40 * (n))
#define R_RDLEN(n)      (0x0C008 + 0x40 * (n))
#define R_SRRCTL(n)     (0x0C00C + 0x40 * (n))
#define R_RDH(n)        (0x0C010 + 0x40 * (n))
#define R_RDT(n)        (0x0C018 + 0x40 * (n))
#define R_RXDCTL(n)     (0x0C028 + 0x40 * (n))
#define R_RQDPC(n)      (0x0C030 + 0x40 * (n))
#define R_TDBAL(n)      (0x0E000 + 0x40 * (n))
#define R_TDBAH(n)      (0x0E004 + 0x40 * (n))
#define R_TDLEN(n)      (0x0E008 + 0x40 * (n))
#define R_TDH(n)        (0x0E010 + 0x40 * (n))
#define R_TDT(n)        (0x0E018 + 0x40 * (n))
#define R_TXDCTL(n)     (0x0E028 + 0x40 * (n))

/* time sync */
#define R_SYSTIML       0x0B600
#define R_SYSTIMH       0x0B604
#define R_TIMINCA       0x0B608
#define R_TIMADJ        0x0B60C
#define R_TSYNCTXCTL    0x0B614
#define R_TXSTMPL       0x0B618
#define R_TXSTMPH       0x0B61C
/* TX timestamp register pairs 0-3 */
#define R_TXSTMPL_N(n)  ((n) ? 0x0B678 + 0x20 * (n) : R_TXSTMPL)
#define R_TXSTMPH_N(n)  (R_TXSTMPL_N(n) + 4)
#define R_TSYNCRXCTL    0x0B620
#define R_TSICR         0x0B66C
#define R_TSIM          0x0B674
#define R_SYSTIMR       0x0B6F8
/* timer 1 (free running) */
#define R_SYSTIMR_1     0x0B684
#define R_SYSTIML_1     0x0B688
#define R_SYSTIMH_1     0x0B68C
#define R_TIMINCA_1     0x0B690
#define R_PTM_CTRL      0x12540
#define R_PTM_STAT      0x12544
#define PTM_CTRL_TRIG   (1u << 31)
#define PTM_STAT_VALID  (1u << 0)

/* CTRL */
#define CTRL_FD                 (1u << 0)
#define CTRL_GIO_MASTER_DISABLE (1u << 2)
#define CTRL_SLU                (1u << 6)
#define CTRL_RST                (1u << 26)
#define CTRL_VME                (1u << 30)
#define CTRL_PHY_RST            (1u << 31)

/* STATUS */
#define STATUS_FD               (1u << 0)
#define STATUS_LU               (1u << 1)
#define STATUS_SPEED_1000       (1u << 7)
#define STATUS_GIO_MASTER_EN    (1u << 19)
#define STATUS_SPEED_2500       (1u << 22)

/* EECD */
#define EECD_REQ                (1u << 6)
#define EECD_GNT                (1u << 7)
#define EECD_PRES               (1u << 8)
#define EECD_AUTO_RD            (1u << 9)
#define EECD_SIZE_EX_SHIFT      11
#define EECD_FLASH_DETECTED     (1u << 19)
#define EECD_FLUPD              (1u << 23)
#define EECD_FLUDONE            (1u << 26)

/* SRWR (shadow RAM write): same layout as EERD */
#define SRWR_START              EERD_START
#define SRWR_DONE               EERD_DONE

/* EERD */
#define EERD_START              (1u << 0)
#define EERD_DONE               (1u << 1)
#define EERD_ADDR_SHIFT         2
#define EERD_DATA_SHIFT         16

/* MDIC */
#define MDIC_DATA_MASK          0xFFFFu
#define MDIC_REG_SHIFT          16
#define MDIC_REG_MASK           0x1Fu
#define MDIC_PHY_SHIFT          21
#define MDIC_PHY_MASK           0x1Fu
#define MDIC_OP_WRITE           (1u << 26)
#define MDIC_OP_READ            (1u << 27)
#define MDIC_READY              (1u << 28)
#define MDIC_ERROR              (1u << 30)

#define PHPM_RST_COMP           (1u << 8)

/* interrupt causes */
#define ICR_TXDW                (1u << 0)
#define ICR_LSC                 (1u << 2)
#define ICR_RXDMT0              (1u << 4)
#define ICR_RXO                 (1u << 6)
#define ICR_RXT0                (1u << 7)
#define ICR_TS                  (1u << 19)
#define ICR_INT_ASSERTED        (1u << 31)

#define GPIE_NSICR              (1u << 0)
#define GPIE_MSIX_MODE          (1u << 4)
#define GPIE_EIAME              (1u << 30)

#define IVAR_VALID              0x80u

/* RCTL / TCTL */
#define RCTL_EN                 (1u << 1)
#define RCTL_UPE                (1u << 3)
#define RCTL_MPE                (1u << 4)
#define RCTL_LPE                (1u << 5)
#define RCTL_MO_SHIFT           12
#define RCTL_BAM                (1u << 15)
#define TCTL_EN                 (1u << 1)
#define RAH_AV                  (1u << 31)
#define RAH_ASEL_MASK           (3u << 16)      /* 0: destination, 1: source */
#define RAH_ASEL_SRC            (1u << 16)
#define RAH_QSEL_SHIFT          18
#define RAH_QSEL_MASK           3u
#define RAH_QSEL_ENABLE         (1u << 28)

/* receive queue filters */
#define VLANPQF_QSEL_MASK       0x7u            /* nibble per priority: queue */
#define VLANPQF_VALID           0x8u            /* ... and valid bit */
#define ETQF_ETYPE_MASK         0xFFFFu
#define ETQF_QUEUE_SHIFT        16
#define ETQF_QUEUE_MASK         0x7u
#define ETQF_FILTER_ENABLE      (1u << 26)
#define ETQF_QUEUE_ENABLE       (1u << 31)
#define WUFC_FLEX_HQ            (1u << 14)      /* flex filters queue to host */
#define WUFC_FLX0               (1u << 16)      /* FLX0..FLX7: bits 16..23 */
#define FHFT_ROWS               16              /* 8 data bytes + mask byte each */
#define FHFT_QUEUING            0xFC            /* length, queue, priority */
#define FHFT_LENGTH_MASK        0xFFu
#define FHFT_QUEUE_SHIFT        8
#define FHFT_QUEUE_MASK         0x7u
#define FHFT_PRIO_SHIFT         16
#define FHFT_PRIO_MASK          0x7u
#define FHFT_DROP               (1u << 25)
#define FHFT_MAX_LEN            128

#define RXDCTL_ENABLE           (1u << 25)
#define TXDCTL_ENABLE           (1u << 25)

/* SRRCTL */
#define SRRCTL_BSIZEPKT_MASK    0x7Fu
#define SRRCTL_TIMER1SEL_SHIFT  14      /* timer in the header's first 8 bytes */
#define SRRCTL_TIMER0SEL_SHIFT  17      /* timer in the header's last 8 bytes */
#define SRRCTL_TIMERSEL_MASK    0x3u
#define SRRCTL_TIMESTAMP        (1u << 30)

/* MRQC */
#define MRQC_MQ_MASK            0x7u
#define MRQC_MQ_RSS             0x2u
#define MRQC_DEF_Q_SHIFT        3               /* default queue, bits 5:3 */
#define MRQC_DEF_Q_MASK         0x7u
#define MRQC_IPV4_TCP           (1u << 16)
#define MRQC_IPV4               (1u << 17)
#define MRQC_IPV6_TCP_EX        (1u << 18)
#define MRQC_IPV6               (1u << 20)
#define MRQC_IPV6_TCP           (1u << 21)
#define MRQC_IPV4_UDP           (1u << 22)
#define MRQC_IPV6_UDP           (1u << 23)

/* RX descriptor writeback */
#define RXD_STAT_DD             (1u << 0)
#define RXD_STAT_EOP            (1u << 1)
#define RXD_STAT_VP             (1u << 3)
#define RXD_STAT_UDPCS          (1u << 4)
#define RXD_STAT_TCPCS          (1u << 5)
#define RXD_STAT_IPCS           (1u << 6)
#define RXD_STAT_TSIP           (1u << 15)
#define RXD_ERR_L4E             (1u << 29)
#define RXD_ERR_IPE             (1u << 30)

/* RSS types in the writeback */
#define RSS_TYPE_NONE           0
#define RSS_TYPE_TCP_IPV4       1
#define RSS_TYPE_IPV4           2
#define RSS_TYPE_TCP_IPV6       3
#define RSS_TYPE_IPV6           5
#define RSS_TYPE_UDP_IPV4       7
#define RSS_TYPE_UDP_IPV6       8

/* TX descriptors */
#define TXD_DTYP_SHIFT          20
#define TXD_DTYP_MASK           0xFu
#define TXD_DTYP_CTXT           0x2u
#define TXD_DTYP_DATA           0x3u
#define TXD_LEN_MASK            0xFFFFu
#define TXD_MAC_TSTAMP          (1u << 19)
#define TXD_TSTAMP_REG_SHIFT    16
#define TXD_CMD_EOP             (1u << 24)
#define TXD_CMD_RS              (1u << 27)
#define TXD_CMD_DEXT            (1u << 29)
#define TXD_CMD_VLE             (1u << 30)
#define TXD_CMD_TSE             (1u << 31)
#define TXD_POPTS_IXSM          (1u << 8)
#define TXD_POPTS_TXSM          (1u << 9)
#define TXD_OLINFO_TIMER_1      (1u << 5)       /* TX stamp from timer 1 */
#define TXD_OLINFO_IDX_SHIFT    4
#define TXD_STAT_DD             (1u << 0)
#define TXCTX_TUCMD_L4T_MASK    (3u << 11)
#define TXCTX_TUCMD_L4T_SCTP    (2u << 11)

/* time sync */
#define TSYNCRXCTL_ENABLED      (1u << 4)
#define TSYNCTXCTL_ENABLED      (1u << 4)
#define TSYNCTXCTL_TXTT_MASK    0xFu
#define TSICR_TXTS              (1u << 1)
#define TIMINCA_ISGN            (1u << 31)
#define TIMINCA_VALUE_MASK      0x7FFFFFFFu
#define IGC_TS_HDR_LEN          16

/* PHY (MII) registers */
#define PHY_CTRL        0x00
#define PHY_STATUS      0x01
#define PHY_ID1         0x02
#define PHY_ID2         0x03
#define PHY_ANAR        0x04
#define PHY_LPAR        0x05
#define PHY_ANER        0x06
#define PHY_1000T_CTRL  0x09
#define PHY_1000T_STAT  0x0A
#define PHY_EXT_STATUS  0x0F
#define PHY_MMDAC       0x0D
#define PHY_MMDAAD      0x0E
#define PHY_GPHY_VER    0x1E
#define PHY_CTRL_RESET          0x8000u
#define PHY_CTRL_RESTART_AN     0x0200u
#define PHY_STATUS_LINK         0x0004u
#define PHY_STATUS_AN_DONE      0x0020u
#define MMDAC_FUNC_MASK         0xC000u
#define MMDAC_FUNC_DATA         0x4000u
#define MMDAC_DEVAD_MASK        0x1Fu

#endif
